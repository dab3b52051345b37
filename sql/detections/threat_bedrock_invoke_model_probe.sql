-- Stratus Red Team aws.impact.bedrock-invoke-model (LLMjacking), the probing variant: InvokeModel
-- (or InvokeModelWithResponseStream, Converse, ConverseStream) rejected with ValidationException.
-- Attackers testing stolen keys send a deliberately invalid request (e.g. a negative max token
-- count): a ValidationException tells them the key may invoke the model without paying for an
-- inference, where AccessDeniedException tells them it may not. Stratus's own detonation sends
-- a valid request, which threat_bedrock_model_access_enabled catches instead; and
-- ValidationException is also Bedrock's answer to any malformed request, so an application bug
-- in a retry loop matches too: low severity. Successful invocations, throttling (ThrottlingException) and access denials do not
-- match. These are read-only management events: a trail that records only write management
-- events does not deliver them, and then this detection cannot fire.
eventSource = 'bedrock.amazonaws.com'
AND eventName IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
AND errorCode = 'ValidationException'
