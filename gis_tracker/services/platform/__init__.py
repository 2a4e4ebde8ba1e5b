"""What keeps the system running: jobs, backup, database roles, migrations, sample data, outbound requests."""
