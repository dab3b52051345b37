-- CIS AWS Foundations 4.5 (v6.0+: 5.5), CloudTrail configuration changes. The CIS filter:
--   { ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) ||
--     ($.eventName = StartLogging) || ($.eventName = StopLogging) }
-- No eventSource condition, as in the filter. Failed attempts (an errorCode) match: CIS counts
-- attempts. Not in the filter, so not matched: PutEventSelectors, PutInsightSelectors and the
-- CloudTrail Lake calls (StopEventDataStoreIngestion, DeleteEventDataStore, ...). Case-sensitive.
eventName IN ('CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging')
