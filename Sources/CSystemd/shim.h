#include <systemd/sd-daemon.h>
// sd_journal_send is variadic, which Swift cannot call; the Systemd module uses sd_journal_sendv.
#include <systemd/sd-journal.h>
