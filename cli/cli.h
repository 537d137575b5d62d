/* What the CLI's command files share. */
#ifndef NESTSCOPE_CLI_H
#define NESTSCOPE_CLI_H

#define EXIT_BAD_INPUT 1
#define EXIT_USAGE 2
#define EXIT_PROBLEMS 3 /* triage: the image was read, and something in it is wrong */

extern const char *prog;

/* "nestscope: MESSAGE (see 'nestscope --help')" and exit 2. */
void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* postmortem.c: commands on kernel dumps and debuginfo */
int cmd_triage(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_scan(int argc, char **argv);

#endif
