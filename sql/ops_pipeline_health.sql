-- python -m ops status: the deployed PIPELINE_HEALTH view's checks, as the health alert and the
-- dashboards read them (sql/pipeline_health_view.sql). The thresholds are the view's, rendered
-- from the stack's silenceMinutes and eventsIntervalMinutes when it was deployed.
SELECT {columns} FROM {view}
