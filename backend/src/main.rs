fn main() {
    println!("backend: the HTTP server arrives with the REST issue");
}
