#!/bin/sh
# auditstorm's dispatcher plugin (plugin-stall faults): reads every record the daemon hands it
# and throws it away. Not exec'd, so this shell keeps the plugin's path in its command line;
# the bytes read show in /proc/PID/io (rchar) of the cat below.
cat > /dev/null
