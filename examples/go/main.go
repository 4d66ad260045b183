// Command florence2-example is a small Go client of the Florence-2 service: one unary call, a
// bidirectional StreamFrames of N frames, and an INVALID_ARGUMENT call whose google.rpc.BadRequest
// details it reads with Google's own errdetails package.
//
//	go run . --addr 127.0.0.1:50051 --image photo.png [--task caption] [--frames 10]
//
// It exits 1 if any of the three steps does not behave as described.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	// Google's package for google/rpc/error_details.proto. Our generated code imports it too, so
	// the file is registered once; a second copy of it would panic at start-up.
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	florencev1 "florence2-grpc/examples/go/gen/florence/v1"
)

// tasks are the --task values: the tasks that need only an image (no text prompt, no region).
var tasks = map[string]florencev1.Task{
	"caption":               florencev1.Task_TASK_CAPTION,
	"detailed-caption":      florencev1.Task_TASK_DETAILED_CAPTION,
	"more-detailed-caption": florencev1.Task_TASK_MORE_DETAILED_CAPTION,
	"od":                    florencev1.Task_TASK_OBJECT_DETECTION,
	"dense-region-caption":  florencev1.Task_TASK_DENSE_REGION_CAPTION,
	"region-proposal":       florencev1.Task_TASK_REGION_PROPOSAL,
	"ocr":                   florencev1.Task_TASK_OCR,
	"ocr-with-region":       florencev1.Task_TASK_OCR_WITH_REGION,
}

type config struct {
	addr, image, task, ca, token string
	frames, maxNewTokens         uint
	timeout                      time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "127.0.0.1:50051", "server address, HOST:PORT")
	flag.StringVar(&c.image, "image", "", "image file (PNG, JPEG, ...); required")
	flag.StringVar(&c.task, "task", "caption", "task: "+strings.Join(taskNames(), "|"))
	flag.UintVar(&c.frames, "frames", 10, "frames to send on StreamFrames")
	// Generation stops at this many tokens, greedy: a model with random weights never emits its
	// end token, so an uncapped call would generate the model's whole position limit.
	flag.UintVar(&c.maxNewTokens, "max-new-tokens", 16, "max_new_tokens of every call (greedy decoding)")
	flag.DurationVar(&c.timeout, "timeout", 2*time.Minute, "deadline of the whole run")
	flag.StringVar(&c.ca, "ca", "", "PEM CA of the server's certificate: connect with TLS (default: plaintext)")
	flag.StringVar(&c.token, "token", os.Getenv("FLORENCE2_TOKEN"), "bearer token sent with every call (env FLORENCE2_TOKEN)")
	flag.Parse()
	if c.image == "" {
		flag.Usage()
		os.Exit(2)
	}
	if _, ok := tasks[c.task]; !ok {
		log.Fatalf("--task %q: use one of %s", c.task, strings.Join(taskNames(), ", "))
	}
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

func taskNames() []string {
	names := make([]string, 0, len(tasks))
	for name := range tasks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func run(c config) error {
	png, err := os.ReadFile(c.image)
	if err != nil {
		return err
	}
	creds := insecure.NewCredentials()
	if c.ca != "" {
		pem, err := os.ReadFile(c.ca)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--ca %s: no PEM certificate in it", c.ca)
		}
		creds = credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	}
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if c.token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.token)
	}
	client := florencev1.NewFlorenceServiceClient(conn)
	task := tasks[c.task]
	image := &florencev1.Image{Source: &florencev1.Image_Encoded{Encoded: png}}
	options := &florencev1.GenerationOptions{NumBeams: proto.Uint32(1), MaxNewTokens: proto.Uint32(uint32(c.maxNewTokens))}

	if err := unary(ctx, client, task, image, options); err != nil {
		return fmt.Errorf("unary call: %w", err)
	}
	if err := streamFrames(ctx, client, task, image, options, c.frames); err != nil {
		return fmt.Errorf("StreamFrames: %w", err)
	}
	if err := badRequest(ctx, client); err != nil {
		return fmt.Errorf("INVALID_ARGUMENT call: %w", err)
	}
	return nil
}

// unary calls CaptionImage for --task caption, Run for the other tasks.
func unary(ctx context.Context, client florencev1.FlorenceServiceClient, task florencev1.Task, image *florencev1.Image, options *florencev1.GenerationOptions) error {
	if task == florencev1.Task_TASK_CAPTION {
		res, err := client.CaptionImage(ctx, &florencev1.CaptionImageRequest{Images: []*florencev1.Image{image}, Options: options})
		if err != nil {
			return err
		}
		if len(res.GetResults()) != 1 {
			return fmt.Errorf("expected 1 result, got %d", len(res.GetResults()))
		}
		r := res.GetResults()[0]
		fmt.Printf("CaptionImage: %q (%d tokens, image %dx%d, model %.0f ms)\n",
			r.GetText(), r.GetGeneratedTokens(), r.GetImageSize().GetWidth(), r.GetImageSize().GetHeight(), res.GetTimings().GetModelMs())
		return nil
	}
	res, err := client.Run(ctx, &florencev1.RunRequest{Task: task, Images: []*florencev1.Image{image}, Options: options})
	if err != nil {
		return err
	}
	if len(res.GetResults()) != 1 {
		return fmt.Errorf("expected 1 result, got %d", len(res.GetResults()))
	}
	fmt.Printf("Run %s: %s\n", task, summary(res.GetResults()[0]))
	return nil
}

// streamFrames sends a config and n frames while it reads the answers: one line per answer.
func streamFrames(ctx context.Context, client florencev1.FlorenceServiceClient, task florencev1.Task, image *florencev1.Image, options *florencev1.GenerationOptions, n uint) error {
	stream, err := client.StreamFrames(ctx)
	if err != nil {
		return err
	}
	sent := make(chan error, 1)
	go func() {
		sent <- sendFrames(stream, task, image, options, n)
	}()
	var answers uint
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		answers++
		switch outcome := res.GetOutcome().(type) {
		case *florencev1.StreamFramesResponse_Result:
			fmt.Printf("frame %d: %s (model %.0f ms)\n", res.GetFrameId(), summary(outcome.Result), res.GetTimings().GetModelMs())
		case *florencev1.StreamFramesResponse_Skipped:
			fmt.Printf("frame %d: skipped (%s)\n", res.GetFrameId(), outcome.Skipped.GetReason())
		case *florencev1.StreamFramesResponse_Error:
			return fmt.Errorf("frame %d failed: %s", res.GetFrameId(), outcome.Error.GetMessage())
		}
	}
	if err := <-sent; err != nil {
		return err
	}
	if answers != n {
		return fmt.Errorf("sent %d frames, got %d answers", n, answers)
	}
	fmt.Printf("StreamFrames: %d frames, %d answers\n", n, answers)
	return nil
}

func sendFrames(stream grpc.BidiStreamingClient[florencev1.StreamFramesRequest, florencev1.StreamFramesResponse], task florencev1.Task, image *florencev1.Image, options *florencev1.GenerationOptions, n uint) error {
	config := &florencev1.StreamConfig{
		Task:    &florencev1.TaskInput{Task: task},
		Options: options,
		// QUEUE answers every frame (LATEST may skip frames a newer one supersedes).
		Backpressure: florencev1.BackpressureMode_BACKPRESSURE_MODE_QUEUE,
	}
	if err := stream.Send(&florencev1.StreamFramesRequest{Message: &florencev1.StreamFramesRequest_Config{Config: config}}); err != nil {
		return err
	}
	for i := uint64(1); i <= uint64(n); i++ {
		frame := &florencev1.Frame{FrameId: i, TimestampUs: time.Now().UnixMicro(), Image: image}
		if err := stream.Send(&florencev1.StreamFramesRequest{Message: &florencev1.StreamFramesRequest_Frame{Frame: frame}}); err != nil {
			return err
		}
	}
	return stream.CloseSend()
}

// badRequest sends a caption request without images and reads the field violations the server
// attaches as a google.rpc.BadRequest detail of the INVALID_ARGUMENT status.
func badRequest(ctx context.Context, client florencev1.FlorenceServiceClient) error {
	_, err := client.CaptionImage(ctx, &florencev1.CaptionImageRequest{})
	if err == nil {
		return errors.New("a request without images succeeded")
	}
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		return fmt.Errorf("expected InvalidArgument, got %s: %s", st.Code(), st.Message())
	}
	var violations []*errdetails.BadRequest_FieldViolation
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.BadRequest:
			violations = append(violations, d.GetFieldViolations()...)
		case *errdetails.ErrorInfo:
			fmt.Printf("ErrorInfo: reason %s, domain %s\n", d.GetReason(), d.GetDomain())
		}
	}
	if len(violations) == 0 {
		return fmt.Errorf("INVALID_ARGUMENT without a google.rpc.BadRequest detail: %s", st.Message())
	}
	for _, v := range violations {
		fmt.Printf("INVALID_ARGUMENT: field %q: %s\n", v.GetField(), v.GetDescription())
	}
	return nil
}

// summary is one line for any task's result: the text, or how many things were found.
func summary(r *florencev1.TaskResult) string {
	switch x := r.GetResult().(type) {
	case *florencev1.TaskResult_Text:
		return fmt.Sprintf("%q", x.Text.GetText())
	case *florencev1.TaskResult_Detections:
		return fmt.Sprintf("%d detections", len(x.Detections.GetDetections()))
	case *florencev1.TaskResult_Ocr:
		return fmt.Sprintf("%d text lines", len(x.Ocr.GetLines()))
	default:
		return protojson.Format(r)
	}
}
