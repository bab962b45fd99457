/** Stage "classify reply": the pure policy lives in config (the bounce processor classifies remote bounces with it too). */
export { classifyReply, normalizeReplyText, type CategoryPatterns, type Outcome, type ReplyClassification, type SmtpReply } from '@vmta/config';
