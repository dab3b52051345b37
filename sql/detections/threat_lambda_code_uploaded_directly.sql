-- Stratus Red Team aws.persistence.lambda-overwrite-code: a function's code is replaced
-- (UpdateFunctionCode20150331v2, the name CloudTrail gives lambda:UpdateFunctionCode) with a
-- package uploaded in the request itself. CloudTrail does not log the uploaded zip, but a
-- deployment from an artifact store names it: requestParameters.s3Bucket/s3Key for a package in
-- S3 (CloudFormation, SAM, CodePipeline, the Serverless Framework deploy this way) or
-- requestParameters.imageUri for a container image. This matches the update that names neither,
-- a zip sent straight from a client (the CLI's --zip-file, an SDK, the console's code editor),
-- and that no AWS service made on a caller's behalf (userIdentity.invokedBy absent).
-- Which principals are deployment pipelines cannot be known here, so this is low severity: it
-- isolates the out-of-band code change an attacker makes, but also every hand deployment and
-- the infrastructure-as-code tools that upload zips directly (Terraform's filename argument).
-- Not matched: S3 and image deployments, UpdateFunctionConfiguration (layers are
-- threat_lambda_layer_from_another_account's). Failed calls match: the attempt is the signal.
eventSource = 'lambda.amazonaws.com'
AND eventName LIKE 'UpdateFunctionCode%'
AND requestParameters:s3Bucket IS NULL
AND requestParameters:imageUri IS NULL
AND userIdentity:invokedBy IS NULL
