"""The Qingshuitang enterprises' relocation: stage transitions, status as of a date, dashboard, attachments, ledger."""
