#pragma once
/* libgit2 smart-HTTP subtransport over libcurl (placeholder until written). */
int xg_transport_placeholder(void);
