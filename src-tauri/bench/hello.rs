//! A hello-world Tauri app: the same Tauri and WebKit as the desktop app, showing one static page.
//! The viewer bench measures the app's memory against it in the same run (feature
//! `bench-baseline`; never built otherwise).

fn main() {
    let mut context = tauri::generate_context!("tauri.conf.json");
    // The app's own window would load the app's UI; this one loads a page that says hello.
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(app, "main", tauri::WebviewUrl::App("hello.html".into()))
                .title("Hello")
                .inner_size(1280.0, 800.0)
                .build()?;
            Ok(())
        })
        .run(context)
        .expect("the hello-world app runs");
}
