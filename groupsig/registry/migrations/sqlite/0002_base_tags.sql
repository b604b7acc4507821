-- Members are named by one base tag (their key under the epoch-0 public
-- key) instead of a tag per epoch in gs_tags. Groups that already hold tags
-- per epoch are marked; the issuer or opener converts them in Go at first
-- load (it needs the issuer secret γ), and empties their rows in gs_tags.
ALTER TABLE gs_groups ADD COLUMN per_epoch_tags INTEGER NOT NULL DEFAULT 0;
UPDATE gs_groups SET per_epoch_tags = 1
	WHERE EXISTS (SELECT 1 FROM gs_tags t WHERE t.group_name = gs_groups.name);
CREATE UNIQUE INDEX gs_members_tag ON gs_members (group_name, tag);
