-- Action links (wfmond(8), ALERT ACTIONS): each link in a notification is
-- single-use. A use is remembered here until the link would have expired
-- anyway, so that a restart does not make a used link work again. The audit
-- row of the action itself goes to audit_log like any other.
CREATE TABLE action_link_uses (
	org_id     text NOT NULL,
	nonce      text NOT NULL,
	alert_id   bigint NOT NULL,
	action     text NOT NULL,
	used_by    text NOT NULL,
	used_at    timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (org_id, nonce)
);
CREATE INDEX action_link_uses_expiry ON action_link_uses (expires_at);
ALTER TABLE action_link_uses ENABLE ROW LEVEL SECURITY;
ALTER TABLE action_link_uses FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON action_link_uses FOR ALL
	USING (org_id = current_setting('wfmon.org', true))
	WITH CHECK (org_id = current_setting('wfmon.org', true));
