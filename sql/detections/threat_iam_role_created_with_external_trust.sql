-- Stratus Red Team aws.persistence.iam-create-backdoor-role: a new role is created (CreateRole)
-- with a trust policy that lets a principal of another AWS account, or anyone ("*"), assume it.
-- CloudTrail logs the trust policy as a JSON string in requestParameters.assumeRolePolicyDocument,
-- as the caller wrote it (responseElements holds it URL-encoded, so the request is read).
-- The test is the one of threat_iam_role_trust_policy_external_principal, on the text: TRANSLATE
-- deletes spaces, tabs and line breaks, every occurrence of the account's own ID
-- (recipientAccountId) is removed, and what is left matches if a Principal is "*" or a Principal
-- object (only strings and arrays of strings, so [^}]* stays inside it) still holds an account
-- ID (a whole value of 12 digits, or an ARN's account field; digits inside a role name do not
-- count) or "*". Roles for AWS services, for the account's own principals or its own
-- identity providers do not match. Account IDs in a Condition (sts:ExternalId,
-- aws:SourceAccount) are outside the Principal object and do not match; nor does NotPrincipal.
-- The AdministratorAccess attachment that follows in the Stratus technique is
-- threat_iam_administrator_access_attached's. Failed calls match: the attempt is the signal.
eventSource = 'iam.amazonaws.com'
AND eventName = 'CreateRole'
AND REGEXP_LIKE(
    REPLACE(
        TRANSLATE(
            requestParameters:assumeRolePolicyDocument::string,
            ' ' || CHR(9) || CHR(10) || CHR(13),
            ''
        ),
        recipientAccountId,
        ''
    ),
    '.*"Principal":("[*]"|[{][^}]*(:[0-9]{12}:|"[0-9]{12}"|"[*]")).*'
)
