/* labsim - simulated lab hardware: boards (same firmware core as the real
 * boards, UART on a pty and a TCP port, a simulated radio), an OpenAI-compatible
 * LLM server, and test firmware images. Each subcommand lives in its own file. */
#ifndef LABSIM_H
#define LABSIM_H

/* `labsim boards -c CONFIG ...` (labsim_boards.c) */
int labsim_boards_main (int argc, char **argv);
/* `labsim llm ...` (labsim_llm.c) */
int labsim_llm_main (int argc, char **argv);
/* `labsim mkimage --size 742K --version V -o FILE` (labsim_mkimage.c) */
int labsim_mkimage_main (int argc, char **argv);

#endif
