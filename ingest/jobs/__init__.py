"""Jobs: the stages put together (ingest pass, reprocess, reporting calendar, dbt build, summary)."""
