-- Stratus Red Team aws.persistence.iam-create-user-login-profile: a console password (login
-- profile) is created (CreateLoginProfile) for an IAM user other than the caller, typically a
-- user meant for programmatic access only, which then gains console access with a password the
-- attacker chose. requestParameters.userName names the user; without it, IAM acts on the calling
-- principal itself (an IAM user, or an AssumeRoot session restoring root's password), which does
-- not match. With it, the profile is someone else's when the caller is not an IAM user (a role
-- session, root, a federated user) or is an IAM user of another name; IAM user names are
-- case-insensitive, so they are compared in lower case.
-- The password itself is never logged; requestParameters.passwordResetRequired false (the
-- attacker keeps the password) is left to triage rather than required: an administrator setting
-- up a colleague's first sign-in with a reset is the same call.
-- Failed calls match (errorCode is in the finding): the attempt is the signal.
eventSource = 'iam.amazonaws.com'
AND eventName = 'CreateLoginProfile'
AND requestParameters:userName IS NOT NULL
AND (
    userIdentity:type::string != 'IAMUser'
    OR userIdentity:userName IS NULL
    OR LOWER(requestParameters:userName::string) != LOWER(userIdentity:userName::string)
)
