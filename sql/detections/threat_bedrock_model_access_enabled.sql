-- Stratus Red Team aws.impact.bedrock-invoke-model (LLMjacking): the management-event evidence of
-- an attacker preparing to run models at the account's expense is model access being turned on:
-- PutUseCaseForModelAccess (the use-case form some providers require), CreateFoundationModelAgreement
-- (accepting a model's EULA offer) and PutFoundationModelEntitlement (enabling the model), the
-- calls the console's "Model access" page makes and that Stratus's page names for this.
-- The InvokeModel calls themselves are not matched here: they are read-only management events
-- (eventSource bedrock.amazonaws.com, readOnly true), absent from trails that record only write
-- events, and one per inference, so alerting on each is noise (see
-- threat_bedrock_invoke_model_probe for the probing variant). Read-only calls of the same page
-- (GetFoundationModelAvailability, ListFoundationModelAgreementOffers) and removing access
-- (DeleteFoundationModelAgreement) do not match. Failed calls (errorCode set) match too: denied
-- attempts to unlock models are the probing an attacker does, and errorCode is in the finding.
eventSource = 'bedrock.amazonaws.com'
AND eventName IN (
    'PutUseCaseForModelAccess',
    'CreateFoundationModelAgreement',
    'PutFoundationModelEntitlement'
)
