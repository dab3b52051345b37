-- python -m ops status, only when reading PIPELINE_HEALTH failed: no row means the view is not
-- there (a stack deployed before it: `pulumi up` creates it) or the role has no privilege on it;
-- a row means the view is there and the failure is elsewhere (what it reads).
SHOW VIEWS LIKE '{view_name}' IN SCHEMA {schema}
