"""The CIS detection pack, run locally on CloudTrail log files by an embedded Snowflake."""
