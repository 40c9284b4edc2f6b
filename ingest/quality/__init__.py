"""Stage 2, quality: records judged against the contract (GX suites, findings, feedback reports, Data Docs)."""
