/** The built-in reply rules: the data lives in config with classifyReply. */
export { REPLY_RULES, type ReplyRule, type SmtpPhase } from '@vmta/config';
