// One AI Agent's Conversation Rating setting, and a read of it through the function,
// with the Go SDK generated from the plugin's schema (sdk/go; go.mod's replace line
// points at it).
//
// The program is `program` below. It runs as an Automation API inline program: the
// SDK serves it to the pulumi CLI in-process, as the Go language host would, since that
// host cannot be built here (CONTRIBUTING.md). The stack is the current folder's
// Pulumi.yaml and stack `dev` (PULUMI_STACK to change):
//
//	go build -o bin/quickchat-go . && bin/quickchat-go preview|up|refresh|destroy
//
// Each step's summary is printed as JSON on stdout; the CLI's own output goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi-quickchat/pulumi-quickchat/sdk/go/quickchat"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func program(ctx *pulumi.Context) error {
	// The agent is the one quickchat:apiToken belongs to.
	ratings, err := quickchat.NewConversationRatingConfig(ctx, "ratings", &quickchat.ConversationRatingConfigArgs{
		ConvRatingActive:        pulumi.Bool(true),
		ConvRatingQuestionCodes: pulumi.StringArray{pulumi.String("HELPFUL_THUMBS"), pulumi.String("EXPERIENCE_THUMBS")},
	})
	if err != nil {
		return err
	}
	// What the agent holds once this run has written it: one GET, nothing recorded.
	// A preview of a new resource skips it (nothing to read yet).
	now := quickchat.LookupConversationRatingConfigOutput(ctx, quickchat.LookupConversationRatingConfigOutputArgs{},
		pulumi.DependsOn([]pulumi.Resource{ratings}))
	ctx.Export("scenarioId", ratings.ScenarioId)
	ctx.Export("convRatingActive", ratings.ConvRatingActive)
	ctx.Export("ratingOnNow", now.ConvRatingActive())
	return nil
}

func run(ctx context.Context, step string) (any, error) {
	stackName := os.Getenv("PULUMI_STACK")
	if stackName == "" {
		stackName = "dev"
	}
	workDir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	stack, err := auto.UpsertStackInlineSource(ctx, stackName, "quickchat-go", program, auto.WorkDir(workDir))
	if err != nil {
		return nil, err
	}
	switch step {
	case "preview":
		result, err := stack.Preview(ctx, optpreview.ErrorProgressStreams(os.Stderr), optpreview.ProgressStreams(os.Stderr))
		return result.ChangeSummary, err
	case "up":
		result, err := stack.Up(ctx, optup.ErrorProgressStreams(os.Stderr), optup.ProgressStreams(os.Stderr))
		return result.Summary.ResourceChanges, err
	case "refresh":
		result, err := stack.Refresh(ctx, optrefresh.ErrorProgressStreams(os.Stderr), optrefresh.ProgressStreams(os.Stderr))
		return result.Summary.ResourceChanges, err
	case "destroy":
		result, err := stack.Destroy(ctx, optdestroy.ErrorProgressStreams(os.Stderr), optdestroy.ProgressStreams(os.Stderr))
		return result.Summary.ResourceChanges, err
	}
	return nil, fmt.Errorf("unknown step %q: use preview, up, refresh or destroy", step)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: quickchat-go preview|up|refresh|destroy")
		os.Exit(2)
	}
	summary, err := run(context.Background(), os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(summary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
