using ImageBus.FakeGemini;

await FakeGeminiApp.Create(args).RunAsync();
