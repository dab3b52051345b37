-- Stratus Red Team aws.persistence.lambda-backdoor-function: a Lambda function's resource-based
-- policy gains a statement (AddPermission20150331 / AddPermission20150331v2, the names CloudTrail
-- gives lambda:AddPermission) that lets anyone, or another AWS account, invoke it.
-- requestParameters.principal is "*", an account ID, an IAM ARN (arn:aws:iam::<account>:...) or
-- a service principal (s3.amazonaws.com). It matches when:
--   - principal is "*" and nothing narrows it: no principalOrgID (organization-only), no
--     sourceArn, and no sourceAccount, or a sourceAccount that is another account; or
--   - principal holds a 12-digit account ID (bare or in an ARN) that is not the account's own
--     (recipientAccountId).
-- Not matched, deliberately: service principals (with or without sourceAccount/sourceArn: an
-- S3 bucket or EventBridge rule of the account triggering its function is the benign call, and
-- an unscoped service principal is a misconfiguration rather than this backdoor), principals of
-- the account itself, and AddLayerVersionPermission (layer sharing, another technique).
-- Failed calls match (errorCode is in the finding): the attempt is the signal.
eventSource = 'lambda.amazonaws.com'
AND eventName LIKE 'AddPermission%'
AND (
    (
        requestParameters:principal::string = '*'
        AND requestParameters:principalOrgID IS NULL
        AND requestParameters:sourceArn IS NULL
        AND (
            requestParameters:sourceAccount IS NULL
            OR requestParameters:sourceAccount::string != recipientAccountId
        )
    )
    OR (
        -- Another account's ID is left once the account's own is removed, bare or in an ARN's
        -- account field: a role of another account named after this one still matches.
        REGEXP_LIKE(
            REPLACE(requestParameters:principal::string, recipientAccountId, ''),
            '[0-9]{12}|.*:[0-9]{12}:.*'
        )
    )
)
