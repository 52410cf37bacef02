/// The SQL schema. Times are Unix seconds (REAL) so comparisons are cheap and exact.
enum Schema {
    static let v1 = """
    CREATE TABLE organisations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        verified INTEGER NOT NULL DEFAULT 1,
        created_at REAL NOT NULL
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        secret_hash TEXT NOT NULL UNIQUE,
        mode TEXT NOT NULL,
        name TEXT,
        created_at REAL NOT NULL,
        last_used_at REAL,
        revoked_at REAL
    );
    CREATE TABLE directory_entries (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        postal TEXT,
        match_key TEXT,
        epost_address TEXT UNIQUE,
        uid TEXT,
        ebill_id TEXT,
        mailbox_id TEXT UNIQUE,
        preference TEXT NOT NULL,
        verified INTEGER NOT NULL,
        opted_out INTEGER NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX directory_by_match_key ON directory_entries(match_key);
    CREATE INDEX directory_by_uid ON directory_entries(uid);
    CREATE INDEX directory_by_ebill ON directory_entries(ebill_id);
    CREATE TABLE mailbox_keys (
        secret_hash TEXT PRIMARY KEY,
        mailbox_id TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE envelopes (
        id TEXT PRIMARY KEY,
        organisation_id TEXT NOT NULL,
        principal TEXT NOT NULL,
        mode TEXT NOT NULL,
        ingress TEXT NOT NULL,
        ingress_reference TEXT,
        request_hash TEXT NOT NULL,
        ingress_response BLOB,
        kind TEXT NOT NULL,
        title TEXT,
        reference TEXT,
        recipient TEXT NOT NULL,
        documents TEXT NOT NULL,
        policy TEXT NOT NULL,
        print TEXT NOT NULL,
        invoice TEXT,
        status TEXT NOT NULL,
        status_reason TEXT,
        channel TEXT,
        delivered_to_mailbox INTEGER NOT NULL DEFAULT 0,
        consulted INTEGER NOT NULL DEFAULT 0,
        dispatched_at REAL,
        failed_channels TEXT NOT NULL DEFAULT '',
        directory_entry_id TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX envelopes_by_organisation ON envelopes(organisation_id, id);
    CREATE UNIQUE INDEX envelopes_by_ingress_reference ON envelopes(organisation_id, ingress, ingress_reference)
        WHERE ingress_reference IS NOT NULL;
    CREATE INDEX envelopes_undispatched ON envelopes(directory_entry_id) WHERE dispatched_at IS NULL;
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        envelope_id TEXT NOT NULL,
        organisation_id TEXT NOT NULL,
        type TEXT NOT NULL,
        at REAL NOT NULL,
        channel TEXT,
        reason TEXT,
        detail TEXT
    );
    CREATE INDEX events_by_organisation ON events(organisation_id, seq);
    CREATE INDEX events_by_envelope ON events(envelope_id, seq);
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        envelope_id TEXT NOT NULL,
        run_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease TEXT,
        lease_until REAL,
        last_error TEXT
    );
    CREATE INDEX jobs_due ON jobs(run_at);
    CREATE INDEX jobs_by_envelope ON jobs(envelope_id);
    CREATE TABLE mailbox_letters (
        id TEXT PRIMARY KEY,
        mailbox_id TEXT NOT NULL,
        envelope_id TEXT NOT NULL UNIQUE,
        organisation_id TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT,
        delivered_at REAL NOT NULL,
        consulted_at REAL,
        document TEXT NOT NULL,
        attachment_count INTEGER NOT NULL
    );
    CREATE INDEX letters_by_mailbox ON mailbox_letters(mailbox_id, id);
    CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        organisation_id TEXT NOT NULL,
        url TEXT NOT NULL,
        description TEXT,
        event_types TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX webhooks_by_organisation ON webhooks(organisation_id);
    CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        organisation_id TEXT NOT NULL,
        event_id TEXT,
        envelope_id TEXT,
        event_type TEXT NOT NULL,
        payload BLOB NOT NULL,
        status TEXT NOT NULL,
        attempt_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        created_at REAL NOT NULL,
        lease TEXT,
        lease_until REAL
    );
    CREATE INDEX deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
    CREATE INDEX deliveries_by_webhook ON webhook_deliveries(webhook_id, seq);
    CREATE INDEX deliveries_pending_by_envelope ON webhook_deliveries(webhook_id, envelope_id, seq) WHERE status = 'pending';
    CREATE TABLE webhook_attempts (
        delivery_seq INTEGER NOT NULL REFERENCES webhook_deliveries(seq) ON DELETE CASCADE,
        at REAL NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
    );
    CREATE INDEX attempts_by_delivery ON webhook_attempts(delivery_seq);
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """

    /// v2: API keys sealed for WS-Security PasswordDigest, WS-Security nonces seen, and the
    /// format of webhook subscriptions (SOAP status callbacks).
    static let v2 = """
    ALTER TABLE api_keys ADD COLUMN secret_sealed BLOB;
    CREATE TABLE wsse_nonces (
        organisation_id TEXT NOT NULL,
        nonce TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (organisation_id, nonce)
    ) WITHOUT ROWID;
    CREATE INDEX wsse_nonces_by_expiry ON wsse_nonces(expires_at);
    ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'standard-webhooks';
    """

    /// v3: sender domains verified per organisation (SMTP MAIL FROM) and recipient aliases
    /// (an organisation's address book, mailed as `<alias>@<hub domain>`).
    static let v3 = """
    CREATE TABLE sender_domains (
        domain TEXT PRIMARY KEY,
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        created_at REAL NOT NULL
    );
    CREATE INDEX sender_domains_by_organisation ON sender_domains(organisation_id);
    CREATE TABLE recipient_aliases (
        organisation_id TEXT NOT NULL,
        alias TEXT NOT NULL,
        recipient TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (organisation_id, alias)
    ) WITHOUT ROWID;
    """

    /// v4: SMTP return paths (per envelope) and the outbox of delivery status notifications.
    static let v4 = """
    CREATE TABLE mail_returns (
        envelope_id TEXT PRIMARY KEY,
        mail_return TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE mail_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        organisation_id TEXT NOT NULL,
        envelope_id TEXT NOT NULL,
        event TEXT NOT NULL,
        mail_return TEXT NOT NULL,
        status TEXT NOT NULL,
        attempt_count INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at REAL,
        created_at REAL NOT NULL,
        lease TEXT,
        lease_until REAL
    );
    CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE status = 'pending';
    """

    /// v5: sealed evidence records and the queue of events waiting for theirs.
    static let v5 = """
    CREATE TABLE evidence (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        envelope_id TEXT NOT NULL,
        organisation_id TEXT NOT NULL,
        event TEXT NOT NULL,
        record BLOB NOT NULL,
        seal BLOB NOT NULL,
        sealed_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX evidence_by_envelope ON evidence(envelope_id);
    CREATE TABLE evidence_queue (
        event_id TEXT PRIMARY KEY,
        envelope_id TEXT NOT NULL,
        organisation_id TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        lease TEXT,
        lease_until REAL
    ) WITHOUT ROWID;
    CREATE INDEX evidence_queue_due ON evidence_queue(next_attempt_at);
    """

    /// v6-encryption: documents are encrypted at rest. Each letter keeps its document's key
    /// wrapped for its mailbox (NULL for letters placed before); each mailbox has an X25519 key
    /// pair, the private key sealed with the operator's secrets key.
    static let v6Encryption = """
    ALTER TABLE mailbox_letters ADD COLUMN document_key BLOB;
    CREATE TABLE mailbox_encryption_keys (
        mailbox_id TEXT PRIMARY KEY,
        public_key BLOB NOT NULL,
        private_key_sealed BLOB NOT NULL,
        created_at REAL NOT NULL
    ) WITHOUT ROWID;
    """

    /// v7: a seal over each accepted document (with its acceptance evidence); webhook signing
    /// secrets sealed under the operator's secrets key instead of clear text.
    static let v7 = """
    CREATE TABLE evidence_document_seals (
        evidence_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        seal BLOB NOT NULL,
        PRIMARY KEY (evidence_id, idx)
    ) WITHOUT ROWID;
    ALTER TABLE webhooks ADD COLUMN secret_sealed BLOB;
    """

    /// v8: organisation profiles and their verification by post (DESIGN §9). Organisations
    /// from before stay verified.
    static let v8 = """
    ALTER TABLE organisations ADD COLUMN legal_name TEXT;
    ALTER TABLE organisations ADD COLUMN uid TEXT;
    ALTER TABLE organisations ADD COLUMN postal TEXT;
    ALTER TABLE organisations ADD COLUMN state TEXT NOT NULL DEFAULT 'verified';
    ALTER TABLE organisations ADD COLUMN state_reason TEXT;
    CREATE TABLE verification_letters (
        id TEXT PRIMARY KEY,
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        code_hash TEXT NOT NULL,
        envelope_id TEXT,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        used_at REAL,
        superseded_at REAL
    ) WITHOUT ROWID;
    CREATE INDEX verification_letters_by_organisation ON verification_letters(organisation_id, created_at);
    """

    /// v9: API keys carry roles (NULL: every role, as before) and may expire (the old key of a
    /// rotation keeps working for a grace period).
    static let v9 = """
    ALTER TABLE api_keys ADD COLUMN roles INTEGER;
    ALTER TABLE api_keys ADD COLUMN expires_at REAL;
    CREATE INDEX api_keys_by_organisation ON api_keys(organisation_id);
    """

    /// v10: people of an organisation with roles, their credentials (password as a scrypt PHC
    /// string, TOTP secret sealed, recovery codes and setup token as SHA-256), login
    /// challenges and sessions (tokens as SHA-256 only). An email is unique per organisation
    /// among users not removed, ignoring case (`email_key`).
    static let v10 = """
    CREATE TABLE users (
        id TEXT PRIMARY KEY,
        organisation_id TEXT NOT NULL REFERENCES organisations(id),
        email TEXT NOT NULL,
        email_key TEXT NOT NULL,
        roles INTEGER NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        setup_token_hash TEXT UNIQUE,
        setup_expires_at REAL,
        password_hash TEXT,
        totp_secret_sealed BLOB,
        last_totp_step INTEGER,
        recovery_codes TEXT NOT NULL DEFAULT '[]',
        failed_logins INTEGER NOT NULL DEFAULT 0,
        last_failed_login_at REAL,
        last_login_at REAL,
        removed_at REAL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX users_by_email ON users(organisation_id, email_key) WHERE status != 'removed';
    CREATE INDEX users_by_organisation ON users(organisation_id, created_at);
    CREATE TABLE login_challenges (
        hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        expires_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE user_sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        created_at REAL NOT NULL,
        last_seen_at REAL NOT NULL,
        ended_at REAL
    ) WITHOUT ROWID;
    CREATE INDEX user_sessions_by_user ON user_sessions(user_id);
    """

    /// v11-business-inbox: a mailbox per organisation (its `business` directory entry and the
    /// mailbox behind it); letters keep their envelope's mode, the sender's UID, folded search
    /// keys for sender and title, and an arrival number per mailbox (the export feed's order);
    /// webhooks may ask for inbox events. The rows are filled by
    /// `SQLiteStore.migrateBusinessInboxes` before `v11Indexes`.
    static let v11 = """
    CREATE TABLE business_inboxes (
        organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),
        mailbox_id TEXT NOT NULL UNIQUE,
        directory_entry_id TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL
    ) WITHOUT ROWID;
    ALTER TABLE mailbox_letters ADD COLUMN mode TEXT NOT NULL DEFAULT 'live';
    ALTER TABLE mailbox_letters ADD COLUMN sender_uid TEXT;
    ALTER TABLE mailbox_letters ADD COLUMN sender_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE mailbox_letters ADD COLUMN title_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE mailbox_letters ADD COLUMN arrival INTEGER;
    ALTER TABLE webhooks ADD COLUMN inbox_event_types TEXT NOT NULL DEFAULT '[]';
    """

    static let v11Indexes = """
    CREATE UNIQUE INDEX letters_by_arrival ON mailbox_letters(mailbox_id, arrival);
    """

    /// Directory matching tolerant of name order and salutations, and of a missing house
    /// number (`street_key`); the keys of existing entries are recomputed by the migration.
    static let v12DirectoryKeys = """
    ALTER TABLE directory_entries ADD COLUMN street_key TEXT;
    CREATE INDEX directory_by_street_key ON directory_entries(street_key);
    """
}
