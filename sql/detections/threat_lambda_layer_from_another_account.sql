-- Stratus Red Team aws.persistence.lambda-layer-extension: a function's configuration is updated
-- (UpdateFunctionConfiguration20150331v2, the name CloudTrail gives
-- lambda:UpdateFunctionConfiguration) with a layer published by another AWS account. A layer can
-- carry a Lambda extension, which runs beside the function's code with its execution role and
-- sees every invocation's events, so a foreign layer is code the account does not control.
-- requestParameters.layers is the function's new list of layer version ARNs
-- (arn:aws:lambda:<region>:<account>:layer:<name>:<version>). ::string gives the array's JSON
-- text; every occurrence of the account's own ID (recipientAccountId) is removed; what is left
-- matches if a 12-digit account still precedes ":layer:".
-- Not matched, deliberately: layers of the account itself (the Stratus detonation publishes its
-- layer in the same account: publishing it, lambda:PublishLayerVersion, is the step to look for
-- there; matching every same-account layer change would flag every deployment), updates that
-- do not set layers or remove them all, and CreateFunction with a foreign layer (new functions,
-- where vendor layers are routinely added). Failed calls match: the attempt is the signal.
eventSource = 'lambda.amazonaws.com'
AND eventName LIKE 'UpdateFunctionConfiguration%'
AND REGEXP_LIKE(
    REPLACE(requestParameters:layers::string, recipientAccountId, ''),
    '.*:[0-9]{12}:layer:.*'
)
