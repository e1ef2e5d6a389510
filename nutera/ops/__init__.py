"""Operations: checking the upload folder, backups and restores, readiness."""
