-- Stratus Red Team aws.persistence.iam-backdoor-role: an existing role's trust policy is
-- replaced (UpdateAssumeRolePolicy) by one that lets a principal of another AWS account, or
-- anyone ("*"), assume it. CloudTrail logs the new trust policy as a JSON string in
-- requestParameters.policyDocument, as the caller wrote it (any whitespace, Statement an object
-- or an array, Principal "*" or an object of strings or arrays of strings).
-- How, on the text (no JSON parsing: Snowflake would re-serialise a parsed document compactly,
-- the embedded engine keeps its whitespace): TRANSLATE deletes every space, tab and line break
-- (the pattern then needs no whitespace class and `.` never meets a line break); every
-- occurrence of the account's own ID (recipientAccountId) is removed; what is left matches if a
-- Principal is "*", or a Principal object (it holds only strings and arrays of strings, so [^}]*
-- stays inside it) still holds an account ID (a whole value of 12 digits, or an ARN's account
-- field, :<12 digits>:; digits inside a role name do not count) or "*". Service principals (ec2.amazonaws.com), federated providers of the account and
-- same-account principals do not match: that is the benign update.
-- Not matched, deliberately: NotPrincipal (almost never in a trust policy); account IDs in a
-- Condition (sts:ExternalId, aws:SourceAccount), which is outside the Principal object.
-- Failed calls match (errorCode is in the finding): a refused attempt to open a role to another
-- account is worth a look (a MalformedPolicyDocument error is how principal enumeration shows).
eventSource = 'iam.amazonaws.com'
AND eventName = 'UpdateAssumeRolePolicy'
AND REGEXP_LIKE(
    REPLACE(
        TRANSLATE(
            requestParameters:policyDocument::string, ' ' || CHR(9) || CHR(10) || CHR(13), ''
        ),
        recipientAccountId,
        ''
    ),
    '.*"Principal":("[*]"|[{][^}]*(:[0-9]{12}:|"[0-9]{12}"|"[*]")).*'
)
