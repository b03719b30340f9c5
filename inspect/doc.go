// Package inspect is a web inspector for a cachedhttp cache: an
// http.Handler that services embedding the cache mount to look at what is
// stored and to delete it.
//
// # Nouns
//
//   - Handler: the inspector, made by New over a Cache (a
//     *cachedhttp.Transport). Its pages are server-rendered HTML from
//     embedded templates and one stylesheet; they need no JavaScript.
//     Entries lists records with search and filters (host, status,
//     freshness, size), 50 per page; a record page shows the stored
//     headers, what the store knows of the record's life (stored,
//     received, fresh until, usable stale until, validators) and a bounded
//     body preview (text when printable UTF-8, else a hex dump); Overview
//     shows the counters, per-host totals, and hit ratio and bytes over
//     time as SVG charts drawn on the server from samples taken every few
//     seconds.
//   - Recorder: optional, in-memory request history. As a
//     cachedhttp.Observer it counts outcomes and bytes served from the
//     cache and keeps the last requests; through Recorder.Wrap it also sees
//     each response's key and Cache-Status, which gives record pages a
//     Cache-Status history. The store itself keeps no per-record history,
//     and without a Recorder the pages say so.
//   - State: where a record stands at a moment: fresh, stale (still of
//     use: stale window, validator, or always-revalidate), expired (what
//     DeleteExpired removes) or unreadable.
//
// # Mounting
//
// Every link the pages write is relative, so the Handler works under any
// prefix when mounted with http.StripPrefix:
//
//	mux.Handle("/debug/cache/", http.StripPrefix("/debug/cache", h))
//
// # Changes
//
// GET and HEAD never change anything. Deleting records, purging expired
// ones and clearing the cache are POST forms, accepted only when the
// request passes http.CrossOriginProtection (Sec-Fetch-Site, else Origin
// against Host) and carries a token, HMAC-SHA256 under a per-Handler
// secret of a random nonce the browser holds in an HttpOnly, SameSite=Strict
// cookie. A refused request gets 403 and deletes nothing.
// Options.ReadOnly removes the forms altogether.
package inspect
