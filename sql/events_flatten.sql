-- The events of the raw log files in {source} (the raw table, or the stream on it), one row per
-- event: the columns of Snowflake's CloudTrail quickstart, plus readOnly, the actor's fields and
-- where each event came from.
-- A log file is one VARIANT row holding an object with a Records array; LATERAL FLATTEN turns it
-- into rows. Unlike the quickstart, eventTime is TIMESTAMP_TZ (CloudTrail times are UTC, a
-- zone-less TIMESTAMP would take the session's zone) and addendum and edgeDeviceDetails stay
-- VARIANT: they are objects, and casting an object to a string fails.
SELECT
    value:eventTime::timestamp_tz AS eventTime,
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
    value:readOnly::boolean AS readOnly,
    value:userIdentity:type::string AS userIdentityType,
    value:userIdentity:arn::string AS userIdentityArn,
    value:userIdentity:accountId::string AS userIdentityAccountId,
    value:userIdentity:principalId::string AS userIdentityPrincipalId,
    value:userIdentity:invokedBy::string AS userIdentityInvokedBy,
    filename AS sourceFile,
    loaded_at AS loadedAt
FROM {source}, LATERAL FLATTEN(input => record:Records)
