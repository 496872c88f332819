#include "GitCurlTransport.h"
int xg_transport_placeholder(void) { return 0; }
