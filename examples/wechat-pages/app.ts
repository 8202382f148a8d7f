// app.ts: importing the module that owns the connection makes it at launch, before the first page loads. Nothing
// else is needed here: the adapter pauses retries while the app is in the background, and resumes on show.
import './socket';

App({});
