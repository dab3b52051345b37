-- Stratus Red Team aws.persistence.iam-backdoor-user: an access key is created (CreateAccessKey)
-- for an IAM user other than the caller. requestParameters.userName names the user; without it,
-- IAM creates the key for the calling user itself, the routine self-service rotation, which does
-- not match. With it, the key is someone else's when the caller is not an IAM user (a role
-- session, root, a federated user: none has access keys of its own, and their
-- userIdentity.userName is absent or the session issuer's) or is an IAM user of another name.
-- IAM user names are case-insensitive (IAM refuses "Alice" beside "alice"), so the names are
-- compared in lower case: a user naming itself in any case does not match.
-- Failed calls match (errorCode is in the finding): an attempt to mint a key for someone else
-- is the signal, refused or not (a LimitExceeded on a user with two keys already included).
eventSource = 'iam.amazonaws.com'
AND eventName = 'CreateAccessKey'
AND requestParameters:userName IS NOT NULL
AND (
    userIdentity:type::string != 'IAMUser'
    OR userIdentity:userName IS NULL
    OR LOWER(requestParameters:userName::string) != LOWER(userIdentity:userName::string)
)
