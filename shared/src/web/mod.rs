pub mod notice_html;
