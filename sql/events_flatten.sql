-- The events of the raw log files in {source} (the raw table, or the stream on it), one row per
-- event: the columns of Snowflake's CloudTrail quickstart, plus readOnly, the actor's fields,
-- where each event came from, and its identity.
-- A log file is one VARIANT row holding an object with a Records array; LATERAL FLATTEN turns it
-- into rows. Unlike the quickstart, eventTime is TIMESTAMP_TZ (CloudTrail times are UTC, a
-- zone-less TIMESTAMP would take the session's zone), and the nested parts (userIdentity,
-- requestParameters, addendum, ...) stay VARIANT, to be queried by path.
-- No value can fail this SELECT: one failed cast would fail the events task's whole MERGE, the
-- stream would not advance, and every later run would fail on the same event until Snowflake
-- suspends the task. So the two typed fields go through TRY_CAST, which returns NULL instead of
-- failing (it takes a string: https://docs.snowflake.com/sql-reference/functions/try_cast), and
-- their delivered text is kept beside them (raw*) for events_merge.sql to record what could not
-- be typed. `::string` never fails: of an object or array it is the JSON text.
-- eventHash identifies the event by its whole content: CloudTrail's duplicates are identical
-- copies, and an event without an eventID still has one. It is NULL only for a null record.
SELECT
    TRY_CAST(value:eventTime::string AS TIMESTAMP_TZ) AS eventTime,
    value:eventVersion::string AS eventVersion,
    value:userIdentity::variant AS userIdentity,
    value:eventSource::string AS eventSource,
    value:eventName::string AS eventName,
    value:awsRegion::string AS awsRegion,
    value:sourceIPAddress::string AS sourceIPAddress,
    value:userAgent::string AS userAgent,
    value:errorCode::string AS errorCode,
    value:errorMessage::string AS errorMessage,
    value:requestParameters::variant AS requestParameters,
    value:responseElements::variant AS responseElements,
    value:additionalEventData::variant AS additionalEventData,
    value:requestID::string AS requestID,
    value:eventID::string AS eventID,
    value:eventType::string AS eventType,
    value:apiVersion::string AS apiVersion,
    value:managementEvent::variant AS managementEvent,
    value:resources::variant AS resources,
    value:recipientAccountId::string AS recipientAccountId,
    value:serviceEventDetails::variant AS serviceEventDetails,
    value:sharedEventID::string AS sharedEventID,
    value:eventCategory::string AS eventCategory,
    value:vpcEndpointId::string AS vpcEndpointId,
    value:addendum::variant AS addendum,
    value:sessionCredentialFromConsole::string AS sessionCredentialFromConsole,
    value:edgeDeviceDetails::variant AS edgeDeviceDetails,
    value:tlsDetails::variant AS tlsDetails,
    value:insightDetails::variant AS insightDetails,
    TRY_CAST(value:readOnly::string AS BOOLEAN) AS readOnly,
    value:userIdentity:type::string AS userIdentityType,
    value:userIdentity:arn::string AS userIdentityArn,
    value:userIdentity:accountId::string AS userIdentityAccountId,
    value:userIdentity:principalId::string AS userIdentityPrincipalId,
    value:userIdentity:invokedBy::string AS userIdentityInvokedBy,
    filename AS sourceFile,
    loaded_at AS loadedAt,
    SHA2(value::string, 256) AS eventHash,
    value:eventTime::string AS rawEventTime,
    value:readOnly::string AS rawReadOnly
FROM {source}, LATERAL FLATTEN(input => record:Records)
