// Twilio's own Node.js code as a second opinion: reads a JSON list of questions on stdin and
// writes the answers, in order, as a JSON list on stdout.
//   {"sign": [token, url, params]}        -> the signature twilio-node computes
//   {"validate": [token, sig, url, params]} -> twilio-node's validateRequest decision
//   {"segments": body}                    -> segmentsCount of Twilio's segment calculator
const twilio = require("twilio");
const { SegmentedMessage } = require("sms-segments-calculator");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const answers = JSON.parse(input).map((question) => {
    if (question.sign) return twilio.getExpectedTwilioSignature(...question.sign);
    if (question.validate) return twilio.validateRequest(...question.validate);
    return new SegmentedMessage(question.segments).segmentsCount;
  });
  process.stdout.write(JSON.stringify(answers));
});
