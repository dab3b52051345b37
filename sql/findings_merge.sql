-- Persists what the detections find in the events that arrived since the last run: {new_events}
-- is the stream on the events table, {detections} the union of every detection over it (one row
-- per detection and event; an event is identified by its eventHash, see events_merge.sql). The
-- stream only moves on when this MERGE commits, so each landed event is examined once however
-- late it arrived (selection is by arrival, not eventTime); the MERGE keeps a finding from being
-- inserted twice when an event is examined again (a rerun, a recreated stream). The finding keeps
-- the event's details as they were landed.
MERGE INTO {findings} AS t
USING (
    SELECT
        f.detection,
        f.severity,
        f.eventID,
        f.eventHash,
        f.eventTime,
        f.eventName,
        f.eventSource,
        f.userIdentityType,
        f.userIdentityArn,
        f.sourceIPAddress,
        f.awsRegion,
        f.recipientAccountId,
        f.errorCode,
        OBJECT_CONSTRUCT(
            'eventVersion', e.eventVersion,
            'userIdentity', e.userIdentity,
            'eventSource', e.eventSource,
            'eventName', e.eventName,
            'awsRegion', e.awsRegion,
            'sourceIPAddress', e.sourceIPAddress,
            'userAgent', e.userAgent,
            'errorCode', e.errorCode,
            'errorMessage', e.errorMessage,
            'requestParameters', e.requestParameters,
            'responseElements', e.responseElements,
            'additionalEventData', e.additionalEventData,
            'requestID', e.requestID,
            'eventID', e.eventID,
            'readOnly', e.readOnly,
            'resources', e.resources,
            'eventType', e.eventType,
            'recipientAccountId', e.recipientAccountId,
            'sourceFile', e.sourceFile,
            'untyped', e.untyped
        ) AS event
    FROM ({detections}) AS f
    INNER JOIN {new_events} AS e ON f.eventHash = e.eventHash
) AS s
    ON t.detection = s.detection AND t.eventHash = s.eventHash
WHEN NOT MATCHED THEN INSERT (
    detection, severity, eventID, eventTime, eventName, eventSource, userIdentityType,
    userIdentityArn, sourceIPAddress, awsRegion, recipientAccountId, errorCode, first_seen_at,
    event, eventHash
) VALUES (
    s.detection, s.severity, s.eventID, s.eventTime, s.eventName, s.eventSource,
    s.userIdentityType, s.userIdentityArn, s.sourceIPAddress, s.awsRegion, s.recipientAccountId,
    s.errorCode, CURRENT_TIMESTAMP(), s.event, s.eventHash
)
