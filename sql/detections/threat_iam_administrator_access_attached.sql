-- Stratus Red Team aws.persistence.iam-create-admin-user (CreateUser, then AttachUserPolicy of
-- AdministratorAccess), written as its single-event part: the AWS managed AdministratorAccess
-- policy attached to a user, a role or a group (Attach{User,Role,Group}Policy with that
-- policyArn). The same event is the second step of aws.persistence.iam-create-backdoor-role.
-- The CreateUser that precedes it is not required: attaching full administrator rights to an
-- existing principal is the same privilege grant. The ARN is the AWS managed policy's in any
-- partition (arn:aws, arn:aws-cn, arn:aws-us-gov, then ":iam::aws:policy/AdministratorAccess").
-- Nothing may follow the name, so other managed
-- policies (ReadOnlyAccess, AdministratorAccess-Amplify, job-function/...) and customer
-- policies (arn:aws:iam::<account>:policy/...) do not match.
-- Not covered: customer-managed or inline policies that grant "*" on "*" (PutUserPolicy,
-- CreatePolicyVersion); cis_iam_policy_changes reports every attach call without judging it.
-- Failed calls match (errorCode is in the finding): a refused attempt to become administrator
-- is the signal too.
eventSource = 'iam.amazonaws.com'
AND eventName IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy')
AND requestParameters:policyArn::string LIKE 'arn:aws%:iam::aws:policy/AdministratorAccess'
