-- Dashboards (wfmon(1) DASHBOARDS): user_dashboards (0001) gets its rules.
-- Row-level security was already forced per organization; a restrictive
-- policy adds the user: each transaction that touches dashboards sets
-- wfmon.user (the token's subject) and wfmon.role, and sees only that
-- user's rows, or every row of the organization for an admin. Restrictive
-- policies are ANDed with the organization's, so neither can be bypassed.
CREATE POLICY dashboard_owner ON user_dashboards AS RESTRICTIVE FOR ALL
	USING (user_id = current_setting('wfmon.user', true)
	       OR current_setting('wfmon.role', true) = 'admin')
	WITH CHECK (user_id = current_setting('wfmon.user', true)
	       OR current_setting('wfmon.role', true) = 'admin');

-- One default per user.
CREATE UNIQUE INDEX user_dashboards_one_default ON user_dashboards (org_id, user_id) WHERE is_default;

ALTER TABLE user_dashboards
	ADD CONSTRAINT user_dashboards_name_length CHECK (char_length(name) BETWEEN 3 AND 255),
	ADD CONSTRAINT user_dashboards_widgets_list CHECK (jsonb_typeof(widgets) = 'array'),
	ADD CONSTRAINT user_dashboards_layout_object CHECK (jsonb_typeof(layout) = 'object');
