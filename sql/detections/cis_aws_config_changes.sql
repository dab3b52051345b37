-- CIS AWS Foundations 4.9 (v6.0+: 5.9), AWS Config configuration changes. The CIS filter:
--   { ($.eventSource = config.amazonaws.com) &&
--     (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||
--      ($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }
-- Exactly the four names of the filter: DeleteConfigurationRecorder, StartConfigurationRecorder
-- and rule changes (PutConfigRule, DeleteConfigRule) are not in it. Failed attempts (e.g. denied
-- by an SCP) still match: CIS counts attempts. Matching is case-sensitive, as in the filter.
eventSource = 'config.amazonaws.com'
AND eventName IN (
    'StopConfigurationRecorder',
    'DeleteDeliveryChannel',
    'PutDeliveryChannel',
    'PutConfigurationRecorder'
)
