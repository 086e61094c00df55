# labctl: the command-line tool. Command modules add their sources to
# LABCTL_SRC and their libraries to LABCTL_LIBS (in link order, before bus),
# here or in their own build.mk; the program itself is defined by the
# top-level Makefile after every fragment has been read.
LABCTL_SRC += services/labctl/main.c services/labctl/labctl_bus.c services/labctl/labctl_keys.c \
    services/labctl/labctl_args.c services/labctl/labctl_reach.c
LABCTL_LIBS += bus
