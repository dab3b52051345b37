-- python -m ops backfill: the log files of one day on the stage, with the COPY's own pattern;
-- the COPY returns no row for a file it skips as already loaded, so this is what it is compared
-- with.
LIST @{stage} PATTERN = '{pattern}'
