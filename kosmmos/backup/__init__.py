"""Backup and restore of everything Kosmmos keeps (`kosmmos backup`, `kosmmos restore`)."""
