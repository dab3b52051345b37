-- Lands new events in the typed table {events}, each eventID once. {new_events} is the rows of
-- events_flatten.sql over what arrived since the last run (the stream on the raw table).
-- CloudTrail may deliver an event twice, in one batch or days apart, and a backfill may load a
-- file again: QUALIFY keeps one copy per batch, the MERGE skips events already landed. A copy
-- has the same eventTime, so matching on the date as well lets Snowflake prune by the
-- clustering key instead of scanning the whole table.
MERGE INTO {events} AS t
USING (
    SELECT *
    FROM {new_events}
    QUALIFY ROW_NUMBER() OVER (PARTITION BY eventID ORDER BY loadedAt, sourceFile) = 1
) AS s
    ON t.eventDate = TO_DATE(s.eventTime) AND t.eventID = s.eventID
WHEN NOT MATCHED THEN INSERT (
    eventTime, eventDate, eventID, eventName, eventSource, awsRegion, sourceIPAddress, userAgent,
    errorCode, errorMessage, userIdentityType, userIdentityArn, userIdentityAccountId,
    userIdentityPrincipalId, userIdentityInvokedBy, readOnly, eventType, recipientAccountId,
    requestID, sharedEventID, eventVersion, apiVersion, managementEvent, eventCategory,
    vpcEndpointId, sessionCredentialFromConsole, userIdentity, requestParameters,
    responseElements, additionalEventData, resources, serviceEventDetails, addendum,
    edgeDeviceDetails, tlsDetails, insightDetails, sourceFile, loadedAt
) VALUES (
    s.eventTime, TO_DATE(s.eventTime), s.eventID, s.eventName, s.eventSource, s.awsRegion,
    s.sourceIPAddress, s.userAgent, s.errorCode, s.errorMessage,
    s.userIdentityType, s.userIdentityArn, s.userIdentityAccountId, s.userIdentityPrincipalId,
    s.userIdentityInvokedBy, s.readOnly,
    s.eventType, s.recipientAccountId, s.requestID, s.sharedEventID, s.eventVersion,
    s.apiVersion, s.managementEvent, s.eventCategory, s.vpcEndpointId,
    s.sessionCredentialFromConsole, s.userIdentity, s.requestParameters, s.responseElements,
    s.additionalEventData, s.resources, s.serviceEventDetails, s.addendum, s.edgeDeviceDetails,
    s.tlsDetails, s.insightDetails, s.sourceFile, s.loadedAt
)
