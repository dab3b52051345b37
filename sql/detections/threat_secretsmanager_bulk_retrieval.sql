-- Stratus Red Team aws.credential-access.secretsmanager-retrieve-secrets: a principal lists the
-- secrets (secretsmanager:ListSecrets) and reads each value with its own GetSecretValue call;
-- Stratus reads its 20 secrets, by ARN, in a few seconds. One read is an application's routine:
-- the signal is volume, many different secrets read by one principal in a short time.
-- This condition selects the candidates: GetSecretValue calls the principal made itself
-- (userIdentity.invokedBy absent; CloudFormation resolving {{resolve:secretsmanager:...}}
-- references for a stack, or another AWS service reading a secret on a caller's behalf, does not
-- count) that returned the secret or were denied it (errorCode AccessDenied...: trying secrets
-- outside one's permissions is part of a sweep). Other errors (ResourceNotFoundException,
-- DecryptionFailure, throttling) do not count: no secret was read or refused.
-- The threshold (the .yml): a finding when one principal (userIdentityArn) has read or been
-- refused at least 10 distinct secrets (requestParameters.secretId) within 10 minutes.
-- - Distinct secrets, not calls: an application re-reading its own secrets, however often,
--   never counts past their number.
-- - 10: a service loads its handful of secrets (1 to 5 is usual); Stratus's 20 cross 10 within
--   seconds.
-- - 10 minutes: a sweep takes seconds to minutes; one secret read by hand every minute or so
--   stays below.
-- A secret named once by name and once by ARN counts twice (CloudTrail logs secretId as the
-- caller wrote it). BatchGetSecretValue itself is threat_secretsmanager_batch_retrieval_by_filter's.
eventSource = 'secretsmanager.amazonaws.com'
AND eventName = 'GetSecretValue'
AND userIdentity:invokedBy IS NULL
AND (errorCode IS NULL OR errorCode LIKE 'AccessDenied%')
