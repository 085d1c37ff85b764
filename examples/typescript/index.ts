// One AI Agent's Conversation Rating setting, and a read of it through the function,
// with the TypeScript SDK generated from the plugin's schema (sdk/nodejs, compiled with
// this program: the tsconfig's rootDir and paths let it find @pulumi/pulumi here).
//
// The program is `program` below. It runs as an Automation API inline program: the
// SDK serves it to the pulumi CLI in-process, as the Node.js language host would,
// since that host cannot be built here (CONTRIBUTING.md). The stack is the current
// folder's Pulumi.yaml and stack `dev` (PULUMI_STACK to change):
//
//     node bin/examples/typescript/index.js preview|up|refresh|destroy
//
// Each step's summary is printed as JSON on stdout; the CLI's own output goes to stderr.
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace } from "@pulumi/pulumi/automation";

import * as quickchat from "../../sdk/nodejs";

export async function program() {
    // The agent is the one quickchat:apiToken belongs to.
    const ratings = new quickchat.ConversationRatingConfig("ratings", {
        convRatingActive: true,
        convRatingQuestionCodes: ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"],
    });
    // What the agent holds once this run has written it: one GET, nothing recorded.
    // A preview of a new resource skips it (nothing to read yet).
    const now = quickchat.getConversationRatingConfigOutput({}, { dependsOn: [ratings] });
    return {
        scenarioId: ratings.scenarioId,
        convRatingActive: ratings.convRatingActive,
        ratingOnNow: now.convRatingActive,
    };
}

async function main(step: string): Promise<unknown> {
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: process.env.PULUMI_STACK ?? "dev", projectName: "quickchat-typescript", program },
        { workDir: process.cwd() },
    );
    const onOutput = (out: string) => process.stderr.write(out);
    switch (step) {
        case "preview":
            return (await stack.preview({ onOutput })).changeSummary;
        case "up":
            return (await stack.up({ onOutput })).summary.resourceChanges;
        case "refresh":
            return (await stack.refresh({ onOutput })).summary.resourceChanges;
        case "destroy":
            return (await stack.destroy({ onOutput })).summary.resourceChanges;
        default:
            throw new Error(`unknown step ${JSON.stringify(step)}: use preview, up, refresh or destroy`);
    }
}

main(process.argv[2]).then(
    (summary) => console.log(JSON.stringify(summary)),
    (err: Error) => {
        console.error(err.message);
        process.exit(1);
    },
);
