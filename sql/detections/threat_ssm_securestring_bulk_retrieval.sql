-- Stratus Red Team aws.credential-access.ssm-retrieve-securestring-parameters: a principal lists
-- the region's parameters (ssm:DescribeParameters, pages of 10) and retrieves their values
-- decrypted with ssm:GetParameters, up to 10 names a call (the API's maximum), withDecryption
-- true. Stratus's 42 SecureStrings take at least 5 GetParameters calls, in seconds (exactly 5 in
-- a region holding only them). One retrieval is an application's routine: the signal is volume.
-- This condition selects the candidates: GetParameter (one name), GetParameters (up to 10) and
-- GetParametersByPath (a path's parameters, a page at a time) with requestParameters.withDecryption
-- true (only then are SecureString values returned in clear); made by the principal itself
-- (userIdentity.invokedBy absent: not an AWS service acting on a caller's behalf); that succeeded or
-- were denied (errorCode AccessDenied...: trying parameters outside one's permissions is part of a
-- sweep). withDecryption false or absent (String parameters such as the public AMI IDs under
-- /aws/service/, or SecureStrings left encrypted) and other errors (ParameterNotFound, throttling)
-- do not count.
-- The threshold (the .yml): a finding when one principal (userIdentityArn) has made decrypted
-- retrievals of at least 5 distinct targets within 10 minutes, a target being the name, the list of
-- names as the call wrote it (read as text), or the path.
-- - CloudTrail logs one event per call, not per parameter, and a call can carry 10 names: the
--   count is of distinct requests. 5 is Stratus's minimum (its 42 names in 5 calls); 5 distinct
--   requests are 5 to 50 parameters.
-- - Distinct, so an application re-reading the same parameter, list or path counts once however
--   often; one decrypting up to 4 parameters one by one stays below.
-- - 10 minutes: a sweep takes seconds to minutes.
-- Not seen as volume: the pages of one GetParametersByPath (the same path) count once, so a single
-- recursive dump of a path is one target here.
eventSource = 'ssm.amazonaws.com'
AND eventName IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
AND requestParameters:withDecryption::string = 'true'
AND userIdentity:invokedBy IS NULL
AND (errorCode IS NULL OR errorCode LIKE 'AccessDenied%')
