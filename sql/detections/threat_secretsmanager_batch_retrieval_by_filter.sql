-- Stratus Red Team aws.credential-access.secretsmanager-batch-retrieve-secrets: secrets are dumped
-- by batch through secretsmanager:BatchGetSecretValue (Stratus uses a tag-key filter; its page
-- notes a catch-all negated filter, "!tagKeyThatWillNeverExist", retrieves every secret).
-- Stratus's only other signal is volume (many batch calls), which this pack does not threshold yet.
-- To stay precise in one event, match the two variants that point at discovery rather than an
-- application reading its own configuration:
-- - retrieval by filter (requestParameters.filters has at least one entry: its JSON text holds a
--   filter's "key", read without an array index, which the benchmark's baseline cannot translate):
--   the caller takes whatever matches a pattern instead of naming the secrets (secretIdList);
-- - a denied call (errorCode AccessDenied...), whatever its parameters: someone tried to read
--   secrets in bulk without the permission. Other errors (throttling, validation) do not match.
-- Not matched: an explicit secretIdList that succeeds, and single GetSecretValue calls.
eventSource = 'secretsmanager.amazonaws.com'
AND eventName = 'BatchGetSecretValue'
AND (
    requestParameters:filters::string LIKE '%"key":%'
    OR errorCode LIKE 'AccessDenied%'
)
