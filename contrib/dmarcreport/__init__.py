"""dmarcreport - the modules of authmilter-dmarc-report (RFC 9990 aggregate
reports from the daemon's report data). One job per module: config (the
ini), data (reading the data lines), build (grouping, XML, names), dnsq (a
small DNS client), dest (rua URIs and external destination verification),
mail (the report mail, DKIM, sending), state (what was sent), run (a run)."""
