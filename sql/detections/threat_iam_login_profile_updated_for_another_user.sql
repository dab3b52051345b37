-- Stratus Red Team aws.privilege-escalation.iam-update-user-login-profile (and the
-- UpdateLoginProfile half of aws.persistence.iam-create-user-login-profile): the console password
-- of an IAM user other than the caller is reset (UpdateLoginProfile), which lets the caller sign
-- in as that user and take its permissions. Users change their own password with ChangePassword,
-- a different call; UpdateLoginProfile without requestParameters.userName acts on the calling
-- principal itself and does not match. With it, the user is someone else when the caller is not
-- an IAM user (a role session, root, a federated user) or is an IAM user of another name; IAM user
-- names are case-insensitive, so they are compared in lower case.
-- Every reset of another user's password matches, including a help-desk reset: the new password
-- is never logged, and requestParameters.passwordResetRequired false (the caller keeps the
-- password) is left to triage.
-- Failed calls match (errorCode is in the finding): the attempt is the signal.
eventSource = 'iam.amazonaws.com'
AND eventName = 'UpdateLoginProfile'
AND requestParameters:userName IS NOT NULL
AND (
    userIdentity:type::string != 'IAMUser'
    OR userIdentity:userName IS NULL
    OR LOWER(requestParameters:userName::string) != LOWER(userIdentity:userName::string)
)
